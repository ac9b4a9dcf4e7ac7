"""The figures of the contract, pure: validated inputs and settings in, typed results out.

No printing, no command-line wording, no files (see docs/code.md).
"""
