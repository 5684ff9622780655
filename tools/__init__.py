"""Tools that drive the app from outside: the classroom load test."""
