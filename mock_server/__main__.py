from mock_server.commands.main import main

main(prog_name="balances-mock")
