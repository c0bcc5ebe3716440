"""checks.py, the module the notebook's checks and the grader's re-check share: plain data, the
comparisons and their messages, the sampling rule, and verdicts on malformed results."""
import numpy as np
import pytest

import checks
from course_facts import REFEREE


def test_plain_data_goes_back_to_the_same_values():
    value = {"W": np.arange(6.0).reshape(2, 3), "n": np.int64(3), "pair": (1, "a"),
             "by index": {0: "\n", 1: "a"}, "flag": True, "nothing": None}
    data = checks.plain(value)
    back = checks.restore(data)
    assert back["W"].dtype == float and (back["W"] == value["W"]).all()
    assert back["pair"] == (1, "a") and back["by index"] == {0: "\n", 1: "a"} and back["n"] == 3
    assert checks.plain(back) == data


def test_arrays_that_claim_to_equal_anything_are_compared_by_their_numbers():
    class Cheat(np.ndarray):
        def __eq__(self, other):
            return True
    cheat = np.zeros((2, 2)).view(Cheat)
    assert checks.Close()(checks.plain(cheat), checks.plain(np.ones((2, 2)))) == \
        "[0][0]: expected 1, got 0 (4 of 4 entries differ)"


def test_comparisons_say_where_and_what_differs():
    want = checks.plain({"dWax": np.array([[1.0, 2.0]])})
    got = checks.plain({"dWax": np.array([[1.0, 2.5]])})
    assert checks.Close(1e-9)(got, want) == "dWax[0][1]: expected 2, got 2.5 (1 of 2 entries differ)"
    assert checks.Close(1e-9)(checks.plain({}), want) == "the result has no 'dWax'"
    assert checks.Same()([1, 2, 3], [1, 2, 4]) == "index 2: expected 4, got 3"
    assert checks.Same()([1, 2], [1, 2, 3]) == "the result has 2 items, expected 3"
    assert checks.Prefix(2)([1, 2, 9], [1, 2, 3]) is None
    assert checks.Prefix(3)([1], [1, 2, 3]) == "expected at least 3 items, got 1"
    assert checks.Close(1e-6)(1.0 + 1e-7, 1.0) is None and checks.Close(1e-6)(1.1, 1.0)


VOCABULARY = checks.plain([None, {"\n": 0, "a": 1, "b": 2}])


@pytest.mark.parametrize("indices, problem", [
    ([1, 2, 0], None),
    ([0], None),                                       # the newline drawn first: an empty name
    ([1] * 49 + [2, 0], None),                         # the cap: 50 draws, then the newline
    ([1] * 49 + [0, 0], None),                         # the 50th draw is the newline itself
    ([1] * 49 + [0], None),                            # ... and a loop that stopped there
    ([1, 0, 2, 0], "the newline index 0 is drawn at index 1 but the list goes on"),
    ([1] * 48 + [0, 1, 0], "the newline index 0 is drawn at index 48 but the list goes on"),
    ([1] * 51 + [0], "51 characters before the final newline, more than 50"),
    ([1, 2], "the list does not end with the newline index 0"),
    ([1, 7, 0], "an index outside range(0, 3)"),
    ([1.0, 0], "the indices must be ints"),
    ([], "the result is a list (empty)"),
])
def test_a_sampled_name_follows_the_assignments_loop(indices, problem):
    assert checks.SampledName(limit=50).check(indices, VOCABULARY) == problem


def test_the_seeded_setup_where_the_50th_draw_is_the_newline_ends_with_two_newlines():
    sample = next(e for e in REFEREE.exercises if e["name"] == "sample")
    case = next(i for i, c in enumerate(sample["exercise"]["cases"]) if "50th character" in c["description"])
    want = sample["want"][case]["parts"]["the result"]
    assert len(want) == 51 and want[-2:] == [0, 0] and 0 not in want[:49]
    assert all(problem is None for _, problem in sample["checks"])   # the reference: full marks


def test_a_verdict_on_malformed_results_is_a_reason_not_an_error():
    declared = REFEREE.exercises[0]
    junk = [{"parts": {"the result": {"__array__": [[1e9], "x", "f"]}}}, {"error": "raised X"},
            {"parts": {}}, {"parts": {"the result": [[[]]]}}]
    verdict = checks.verdict(declared["exercise"], junk, declared["want"])
    assert [problem is not None for _, problem in verdict] == [True] * len(verdict)
    assert verdict[1][1] == "raised X"
