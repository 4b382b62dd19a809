"""Errors a user can act on: each message says what was wrong and what to do."""


class NewsdeskError(Exception):
    """Base class; the CLI prints the message without a traceback."""


class InputError(NewsdeskError):
    """The input text or file cannot be processed as a newspaper page."""


class ProvisionError(NewsdeskError):
    """A model could not be fetched, verified or converted."""


class ModelError(NewsdeskError):
    """A model could not be resolved or loaded."""
