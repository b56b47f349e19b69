"""The console's mount splits the path as werkzeug's DispatcherMiddleware did for it: the prefix
and what follows at a slash go to the console, every other path to the app as it came."""

from __future__ import annotations

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from mock_server.console.app import Mounted
from mock_server.console.config import CONSOLE_PREFIX


def which(environ, start_response):
    return [environ["SCRIPT_NAME"], environ["PATH_INFO"]]


@pytest.mark.parametrize("path", ["/__console", "/__console/", "/__console/static/console.js", "/__console//x",
                                  "/__consolex", "/__console.js", "/user/balances/", "/", "", "/x/__console/"])
def test_each_path_goes_where_the_dispatcher_sent_it(path):
    def app(environ, start_response):
        return ["app", *which(environ, start_response)]

    def console(environ, start_response):
        return ["console", *which(environ, start_response)]

    mounted = Mounted(app, console)
    dispatcher = DispatcherMiddleware(app, {CONSOLE_PREFIX: console})
    for script_name in ("", "/base"):
        assert mounted({"SCRIPT_NAME": script_name, "PATH_INFO": path}, None) == \
            dispatcher({"SCRIPT_NAME": script_name, "PATH_INFO": path}, None)
