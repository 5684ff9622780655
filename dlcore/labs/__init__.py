"""The laboratories: one module per concept (``dlcore/labs/<slug>.py``), with its experiments,
its presets and ``default_experiment(device)`` — the page's default run, timed by the benchmark.

Labs build on the core (configs, data, models, trainer, recorder) and never the other way round.
"""
