"""Reusable test parts for integrators: backend contract suites (`sme_ai.testing.contracts`, needs pytest) and a
harness that runs the app in a child process (`sme_ai.testing.app_process`)."""
