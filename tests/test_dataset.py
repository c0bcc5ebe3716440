"""The training set: real genus names, one per line, letters only."""
import re

from conftest import ASSIGNMENT_DIR


def test_dinos_txt_is_a_clean_list_of_genus_names():
    text = (ASSIGNMENT_DIR / "dinos.txt").read_text()
    names = text.splitlines()
    assert text.endswith("\n")
    assert len(names) >= 1200
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in names), "only letters a-z"
    assert len({name.lower() for name in names}) == len(names), "no duplicates"
    assert set("".join(names).lower()) == set("abcdefghijklmnopqrstuvwxyz")
