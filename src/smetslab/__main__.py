from smetslab.interfaces.cli import run

run()
