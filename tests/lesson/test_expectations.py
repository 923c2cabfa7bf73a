"""The visible-test helpers say how far off an answer is."""
import re

import pytest

from trainlab.lesson.expectations import (
    NotAnsweredError,
    answered,
    expect_choice,
    expect_close,
    expect_permutation,
    require,
)


def test_close_passes_within_tolerance():
    expect_close("x", 1.0005, 1.0, rtol=1e-3)


@pytest.mark.parametrize("got, hint", [(2.0, "exactly double"), (3600.0, "seconds vs hours"),
                                       (100.0, "10^2"), (float("inf"), "overflow"), ("a", "number")])
def test_close_names_the_slip(got, hint):
    with pytest.raises(AssertionError, match=re.escape(hint)):
        expect_close("x", got, 1.0)


def test_close_names_a_given_slip_before_a_ratio():
    with pytest.raises(AssertionError, match="summed: take the mean"):
        expect_close("loss", 6.9, 2.3, rtol=1e-3, slips={"summed: take the mean": 6.9})


def stub(x):
    """nbgrader's stub, as the release's answer cells hold it."""
    # YOUR CODE HERE: replace these two lines with your answer.
    raise NotImplementedError("not answered yet: write your answer in place of this line")


def written(x):
    raise NotImplementedError("an answer that raises on purpose after doing work") if x else None


def test_answered_tells_a_stub_from_an_answer():
    assert not answered(stub)
    assert answered(written) and answered(len) and answered(3)


def test_require_says_what_to_do_for_a_missing_or_stub_answer():
    with pytest.raises(NotAnsweredError, match="not defined yet.*YOUR CODE HERE.*run that cell"):
        require(["f"], {})
    with pytest.raises(NotAnsweredError, match="stub is not answered yet.*YOUR CODE HERE"):
        require(["stub"], {"stub": stub})
    require(["written"], {"written": written})


def test_choice_and_permutation():
    expect_choice("q", "c", "ABCD")
    with pytest.raises(AssertionError):
        expect_choice("q", "E", "ABCD")
    expect_permutation("p", ["b", "a"], ["a", "b"])
    with pytest.raises(AssertionError, match="missing"):
        expect_permutation("p", ["a", "a"], ["a", "b"])
    with pytest.raises(AssertionError, match="not among"):
        expect_permutation("p", ["a", "z"], ["a", "b"])
