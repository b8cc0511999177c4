from riskkit.cli import main

main()
