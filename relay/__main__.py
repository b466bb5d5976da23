import sys

from relay.hub import main

sys.exit(main())
