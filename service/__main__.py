from service.fronts.cli import main

raise SystemExit(main())
