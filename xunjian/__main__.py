import sys

from xunjian.cli import main

sys.exit(main())
