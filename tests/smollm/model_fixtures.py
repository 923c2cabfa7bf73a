"""The real model, loaded once per test session and shared by the model tests.

Imported by the test modules (``from model_fixtures import lm``) rather than declared in
``conftest.py``, so the model tests stay self-contained. ``load_model`` itself keeps one
model per process, so importing the fixture into several modules still loads it once.
"""
import pytest

from trainlab.smollm.loader import load_model


@pytest.fixture(scope="session")
def lm():
    return load_model()
