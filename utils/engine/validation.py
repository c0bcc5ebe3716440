"""nbformat's relaxed notebook validator, compiled once per process.

nbconvert validates a notebook with nbformat's relaxed validator after its preprocessors, and
nbformat compiles that validator's schema anew for every such check (about 70 ms each, dozens
per generate_assignment or autograde). The relaxed validators hold no state, so one per
schema version serves every check.
"""
import functools

from nbformat import validator

_get_validator = validator.get_validator


@functools.lru_cache(maxsize=None)
def _relaxed_validator(version, version_minor, name):
    return _get_validator(version, version_minor, relax_add_props=True, name=name)


def get_validator(version=None, version_minor=None, relax_add_props=False, name=None):
    """nbformat's get_validator, with the relaxed validators kept."""
    if relax_add_props:
        return _relaxed_validator(version, version_minor, name)
    return _get_validator(version, version_minor, relax_add_props, name)


def keep_relaxed_validators():
    """Make nbformat keep its relaxed validators in this process (and processes forked from it)."""
    validator.get_validator = get_validator
