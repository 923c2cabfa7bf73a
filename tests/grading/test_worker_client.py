"""The round's side of a worker: what of the grader's environment a worker is given."""
from trainlab.grading.worker_client import WORKER_ENV, worker_env


def test_a_worker_gets_only_the_listed_environment(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("GRADEBOOK_PASSWORD", "secret")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "token")
    env = worker_env()
    assert env["PATH"] == "/usr/bin:/bin"
    assert set(env) <= set(WORKER_ENV)
    assert "GRADEBOOK_PASSWORD" not in env and "JUPYTERHUB_API_TOKEN" not in env
