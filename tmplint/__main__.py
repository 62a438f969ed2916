import sys

from tmplint.cli import main

sys.exit(main())
