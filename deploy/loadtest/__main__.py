"""`python -m deploy.loadtest …`"""

from deploy.loadtest.main import main

main()
