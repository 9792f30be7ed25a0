from workshub.cli import main

main()
