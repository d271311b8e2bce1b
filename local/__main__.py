import sys

from local.run import main

sys.exit(main())
