import sys

from planspor_verify.cli import main

sys.exit(main())
