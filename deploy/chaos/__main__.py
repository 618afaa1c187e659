"""`python -m deploy.chaos …`"""

from deploy.chaos.main import main

main()
