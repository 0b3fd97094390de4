{application, own,
 [{description, "A tiny release that clusters with the peers listed in its sys.config"},
  {vsn, "1"},
  {modules, [own_app, own_peers]},
  {registered, [own_peers]},
  {applications, [kernel, stdlib]},
  {mod, {own_app, []}},
  {env, [{peers, []}, {interval, 1000}]}]}.
