import sys

from eslkit.cli.main import main

sys.exit(main())
