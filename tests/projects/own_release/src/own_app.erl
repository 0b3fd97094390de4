-module(own_app).
-behaviour(application).
-export([start/2, stop/1]).

start(_Type, _Args) ->
    own_peers:start_link().

stop(_State) ->
    ok.
