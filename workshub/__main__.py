from workshub.cli import main

raise SystemExit(main())
