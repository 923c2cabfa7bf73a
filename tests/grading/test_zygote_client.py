"""The grader's side of the zygote: one JSON request per connection, and an opt-out."""
import json
import os
import socket
import threading

from trainlab.grading.zygote_client import request, start_zygote


def answer_once(path, reply):
    """Listen on ``path``, read one request line, send ``reply``; return what was read."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    seen = []

    def serve():
        conn, _ = listener.accept()
        with conn, conn.makefile("rw") as stream:
            seen.append(json.loads(stream.readline()))
            stream.write(reply)
            stream.flush()
        listener.close()

    thread = threading.Thread(target=serve)
    thread.start()
    return thread, seen


def test_a_request_is_one_json_line_each_way(tmp_path):
    path = str(tmp_path / "z.sock")
    thread, seen = answer_once(path, '{"ok": true}\n')
    assert request(path, {"pid": 7, "spec": "s"}, timeout=10) == {"ok": True}
    thread.join()
    assert seen == [{"pid": 7, "spec": "s"}]


def test_no_answer_is_an_error(tmp_path):
    path = str(tmp_path / "z.sock")
    thread, _ = answer_once(path, "")
    assert request(path, {"pid": 7}, timeout=10) == {"ok": False, "error": "no answer"}
    thread.join()


def test_the_zygote_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINLAB_GRADING_ZYGOTE", "0")
    assert start_zygote(str(tmp_path), [], print) is None
    assert os.listdir(tmp_path) == []
