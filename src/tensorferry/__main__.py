import sys

from tensorferry.cli import main

sys.exit(main())
