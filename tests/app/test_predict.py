"""AppTest of ``ui.predict``, on a tiny page of its own: on by default, the run waits at step 0 for an
answer, a right and a wrong answer get the verdict the run's measurements give, skip plays without
one, the answer comes from the link, the sidebar toggle and the link turn it off, and a diverged run
gets no verdict."""

from streamlit.testing.v1 import AppTest


def tiny_page():
    """Two runs "slow" and "fast" whose measured score is the steps they took × their rate; the control
    ``lead`` decides which rate is larger, so which one ends higher is a measurement, not a constant."""
    import streamlit as st

    from dlcore.config import TrainConfig
    from dlcore.trainer import Stepwise
    from ui import live, predict
    from ui.controls import Controls

    class Counter(Stepwise):
        def __init__(self, rate: float, steps: int, blow_up: bool):
            self.rate, self.blow_up, self.score = rate, blow_up, 0.0
            self.step, self.status, self.message = 0, "ready", ""
            self.train_cfg = TrainConfig(steps=steps)

        def train_step(self) -> float:
            self.step += 1
            self.score += self.rate
            if self.blow_up and self.step == 3:
                self._diverge("loss is inf")
            elif self.step >= self.train_cfg.steps:
                self.status = "finished"
            return self.score

    with st.sidebar:
        predict.sidebar_toggle()
    c = Controls("tiny")
    lead = c.select("lead", "Which one is faster", ["fast", "slow"], default="fast")
    blow = c.toggle("blow", "Blow up", default=False)
    third = c.toggle("third", "A third run", default=False)
    question = predict.Question.which("Which run ends with the higher score?",
                                      measure=lambda run: {n: t.score for n, t in run.trainers.items()},
                                      label="score")
    guess = predict.ask(c, question, choices=("slow", "fast", "third") if third else ("slow", "fast"))
    c.publish()
    rates = {"slow": 1.0, "fast": 2.0} if lead == "fast" else {"slow": 3.0, "fast": 0.5}
    rates |= {"third": 0.1} if third else {}
    run = live.session("tiny.run", f"{lead}.{blow}.{third}",
                       lambda: {n: Counter(r, 12, blow and n == "slow") for n, r in rates.items()})
    predict.hold(guess, run)
    live.play(run, lambda r: st.write(f"step {r.step}: " + ", ".join(f"{n}={t.score:g}"
                                                                      for n, t in r.trainers.items())))
    predict.reveal(guess, run)


def page(**link) -> AppTest:
    at = AppTest.from_function(tiny_page, default_timeout=30)
    at.query_params.update(link)
    return at.run()


def run_of(at):
    return at.session_state["tiny.run"]


def verdicts(at) -> str:
    """The alerts on the page, each as its icon and its text ("✅ Right — …")."""
    return " ".join(f"{el.icon} {el.value}" for el in [*at.success, *at.warning, *at.info])


def test_on_by_default_the_run_waits_for_an_answer():
    at = page()
    assert not at.exception
    assert run_of(at).step == 0 and not run_of(at).playing
    assert "Answer (or skip) to start training" in verdicts(at)
    assert at.query_params["predict"] == "1"  # the link carries the mode


def test_a_link_with_predict_0_plays_at_once_and_asks_nothing():
    at = page(predict="0")
    assert not at.exception
    assert run_of(at).done and run_of(at).step == 12
    assert "tiny.guess" not in at.session_state
    assert "Answer (or skip)" not in verdicts(at)


def test_the_sidebar_toggle_turns_it_off_and_the_page_link_follows():
    at = page()
    at.toggle(key="predict_toggle").set_value(False).run()
    assert not at.exception
    assert run_of(at).done and "Answer (or skip)" not in verdicts(at)
    assert at.query_params["predict"] == "0"
    at.selectbox(key="tiny.lead").select("slow").run()  # another rerun: the old link value does not win
    assert at.toggle(key="predict_toggle").value is False and run_of(at).done


def test_a_bad_predict_value_in_a_link_is_ignored_with_a_note():
    at = page(predict="maybe")
    assert not at.exception
    assert any("Ignored `predict=maybe`" in t.value for t in at.toast)
    assert run_of(at).step == 0  # the default: on


def test_with_the_toggle_on_the_run_is_held_at_step_0_until_answered():
    at = page(predict="1")
    assert not at.exception
    assert run_of(at).step == 0 and not run_of(at).playing
    assert "Answer (or skip) to start training" in verdicts(at)
    assert "✅" not in verdicts(at) and "❌" not in verdicts(at)
    at.button(key="tiny.run.play").click().run()  # Play while the question waits: still held
    assert run_of(at).step == 0


def right_answer(at) -> str:
    """What the finished run measured: the run with the higher score."""
    scores = {n: t.score for n, t in run_of(at).trainers.items()}
    return max(scores, key=scores.get)


def test_a_right_and_a_wrong_answer_get_the_verdict_of_the_measured_run():
    for lead in ("fast", "slow"):  # the right answer changes with the setting
        at = page(predict="1", lead=lead, guess="skip")
        assert run_of(at).done
        right = right_answer(at)
        assert right == ("fast" if lead == "fast" else "slow")
        wrong = next(c for c in ("slow", "fast") if c != right)
        at.selectbox(key="tiny.guess").select(right).run()
        assert not at.exception
        assert "✅ Right" in verdicts(at) and "❌" not in verdicts(at)
        scores = {n: t.score for n, t in run_of(at).trainers.items()}
        assert f"{right}: **{scores[right]:.3g}**" in verdicts(at)  # the measured numbers are shown
        assert any("checked against this run's own measurements" in cap.value for cap in at.caption)
        at.selectbox(key="tiny.guess").select(wrong).run()
        assert "❌ Not this time" in verdicts(at) and "✅" not in verdicts(at)
        assert f"this run says **{right}**" in verdicts(at)


def test_skip_plays_without_a_verdict():
    at = page(predict="1")
    at.selectbox(key="tiny.guess").select("skip").run()
    assert not at.exception
    assert run_of(at).done and run_of(at).step == 12
    assert "✅" not in verdicts(at) and "❌" not in verdicts(at)
    assert "Answer (or skip)" not in verdicts(at)


def test_the_guess_comes_from_the_link():
    at = page(predict="1", guess="fast")
    assert not at.exception
    assert at.selectbox(key="tiny.guess").value == "fast"
    assert run_of(at).done
    assert right_answer(at) == "fast" and "✅ Right" in verdicts(at)
    at = page(predict="1", guess="slow")
    assert "❌ Not this time" in verdicts(at)


def test_a_diverged_run_gets_no_verdict_but_says_why():
    at = page(predict="1", guess="slow", blow="1")
    assert not at.exception
    text = verdicts(at)
    assert "✅" not in text and "❌" not in text
    assert "No verdict" in text and "diverged at step 3" in text


def test_turning_the_toggle_on_after_a_trained_run_starts_it_over_at_step_0():
    at = page(predict="0")
    assert run_of(at).done
    at.toggle(key="predict_toggle").set_value(True).run()
    assert run_of(at).step == 0 and "Answer (or skip) to start training" in verdicts(at)


def test_an_answer_the_new_settings_no_longer_offer_is_asked_again():
    at = page(predict="1", third="1", guess="third")
    assert not at.exception and "❌ Not this time" in verdicts(at)
    at.toggle(key="tiny.third").set_value(False).run()
    assert not at.exception
    assert at.selectbox(key="tiny.guess").value == "" and run_of(at).step == 0
    assert "Answer (or skip) to start training" in verdicts(at)


def test_a_student_who_answers_after_the_class_trained_the_link_gets_that_run_without_training():
    """The question holds each student's run at step 0 until they answer; a class answers one by one.
    The answer joins what the server has for the link by then (here the finished run), so the link is
    trained once, and the verdict is that run's."""
    from tests.support.helpers import linked_at, predicted_at
    from ui import live

    link = {"steps": "100", "seed": "41"}
    live.results().clear()
    first = linked_at("pages/dropout.py", link).session_state["do.run"]  # the first student: trained
    at = predicted_at("pages/dropout.py", {"predict": "1"} | link)
    held = at.session_state["do.run"]
    assert held.step == 0 and held.trainers is not first.trainers  # asked first: nothing shown yet
    at.selectbox(key="do.guess").select("p = 0.5").run()
    run = at.session_state["do.run"]
    assert not at.exception and run.trainers is first.trainers and run.cpu_seconds == 0
    assert any(el.icon in ("✅", "❌") for el in [*at.success, *at.warning])
