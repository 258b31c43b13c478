"""safecity: checks the numbers in the 30 Sep 2017 "Operation Safe City" story against primary data.

All logic of the book lives here; the notebooks only call into it.
"""

from pathlib import Path

__version__ = "0.1.0"

#: The project root (the folder holding `_config.yml`).
ROOT = Path(__file__).resolve().parent.parent
