"""python -m googly_eyes PHOTO_OR_FOLDER... --out DIR: see cli.py."""

import sys

from .cli import main

sys.exit(main())
