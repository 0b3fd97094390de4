%% Makes release "own" version 1 with OTP's own tools (systools): a boot script and a
%% tarball that carries ERTS and sys.config, unpacked to /opt/own by the Dockerfile.
-module(build).
-export([main/0]).

main() ->
    Vsn = fun(A) -> {A, _, V} = lists:keyfind(A, 1, application:loaded_applications()), V end,
    Rel = {release, {"own", "1"}, {erts, erlang:system_info(version)},
           [{kernel, Vsn(kernel)}, {stdlib, Vsn(stdlib)}, {own, "1"}]},
    ok = file:write_file("own.rel", io_lib:format("~p.~n", [Rel])),
    Path = ["lib/own-1/ebin"],
    ok = systools:make_script("own", [{path, Path}, {outdir, "."}, no_warn_sasl]),
    ok = systools:make_tar("own", [{path, Path}, {outdir, "."}, {erts, code:root_dir()}]),
    halt().
