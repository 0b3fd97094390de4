%% Pings every peer listed in sys.config (`{own, [{peers, [...]}]}`) that is not
%% connected, once a second, for as long as the node runs: a cut link comes back by
%% itself once the network does. Logs each nodeup/nodedown.
-module(own_peers).
-export([start_link/0, init/1]).

start_link() ->
    proc_lib:start_link(?MODULE, init, [self()]).

init(Parent) ->
    register(?MODULE, self()),
    ok = net_kernel:monitor_nodes(true),
    proc_lib:init_ack(Parent, {ok, self()}),
    {ok, Interval} = application:get_env(own, interval),
    self() ! ping,
    loop(Interval).

loop(Interval) ->
    receive
        ping ->
            {ok, Peers} = application:get_env(own, peers),
            [net_adm:ping(P) || P <- Peers, P =/= node(), not lists:member(P, nodes())],
            erlang:send_after(Interval, self(), ping);
        {nodeup, Node} ->
            io:format("[own] nodeup ~s~n", [Node]);
        {nodedown, Node} ->
            io:format("[own] nodedown ~s~n", [Node])
    end,
    loop(Interval).
