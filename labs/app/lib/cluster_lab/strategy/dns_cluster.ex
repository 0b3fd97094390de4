defmodule ClusterLab.Strategy.DNSCluster do
  @moduledoc """
  Behaves like dns_cluster 0.3.0 (Phoenix's `DNSCluster`, lib/dns_cluster.ex and
  lib/dns_cluster/resolver.ex; read at upstream commit 790203e, which includes the SRV
  support of f6c0f58).

    * `DNS_CLUSTER_RESOURCE_TYPES` is `resource_types` (comma-separated, e.g. `srv` or
      `a,aaaa,srv`; unset: `[:a, :aaaa]`), validated at start as upstream does: an
      empty list or a type outside `[:a, :aaaa, :srv]` raises `ArgumentError`
      ("expected :resource_types to be a subset of [:a, :aaaa, :srv], got: [:mx]").
      Types are the outer loop, queries the inner one, then `Enum.uniq/1`.
    * `:a`/`:aaaa`: every query is resolved with `:inet_res.getbyname(query, type)`
      (since 0.1.2, "to support search list"). For a name without dots OTP tries
      only `name.<search domain>`, and takes the search domain from the
      resolv.conf `search` line or from a dotted hostname: with hostname
      `user_svc.msvc_default`, the query `app` finds nothing at all, while
      `app.` (trailing dot) finds every address.
    * `:srv`: `:inet_res.getbyname(query, :srv)`, then every target host of the answer
      through the native resolver, `:inet.gethostbyname(host)` (IPv4). The SRV port,
      priority and weight are ignored: SRV mode also dials `<basename>@<ip>`, so nodes
      named by FQDN (`app@n1.lab`) are never reached, even when the SRV targets are
      exactly those FQDNs.
    * `DNS_CLUSTER_QUERY` is the query, as in Phoenix's generated runtime.exs; a
      comma-separated list stands for dns_cluster's list of queries. With
      `DNS_BASENAME` every query becomes `{basename, query}`; without it the
      node's own basename is used, dns_cluster's default.
    * Dials `<basename>@<ip>` for every address whose name is not in
      `Node.list(:visible)`, so a node named by IP dials itself too (which
      returns true at once). Dials run in parallel; one still running after
      `DNS_CONNECT_TIMEOUT_MS` (`connect_timeout`, default 10 000) crashes the
      process, as `Task.async_stream/3` does, and its supervisor restarts it.
    * First poll at once (`handle_continue`), then every `DNS_POLL_MS`
      (`interval`, default 5000).
    * Logs nothing by default, and never a failed dial. With `DNS_CLUSTER_LOG`
      set to a level (`log:`), each success logs `<node> connected to <peer>`.
    * Warns once at start-up when the node is not distributed or not on long names.

      # the same with dns_cluster (Phoenix 1.7+ generates this):
      {DNSCluster, query: Application.get_env(:my_app, :dns_cluster_query) || :ignore}
      # DNS_CLUSTER_RESOURCE_TYPES=srv, DNS_CLUSTER_QUERY=_app._tcp.cluster.test:
      {DNSCluster, query: "_app._tcp.cluster.test", resource_types: [:srv]}
  """
  use GenServer
  require Logger

  def start_link(opts), do: GenServer.start_link(__MODULE__, Map.new(opts), name: __MODULE__)

  @doc "The names the next poll would dial (for the fidelity tests; not dns_cluster API)."
  def dial_list, do: __MODULE__ |> :sys.get_state() |> targets() |> Enum.map(&String.to_atom/1)

  @valid_resource_types [:a, :aaaa, :srv]

  @impl true
  def init(state) do
    state = Map.put_new(state, :resource_types, [:a, :aaaa])
    validate_resource_types!(state.resource_types)
    warn_on_invalid_dist()
    [basename, _host] = node() |> Atom.to_string() |> String.split("@", parts: 2)
    {:ok, Map.put_new_lazy(state, :basename, fn -> basename end), {:continue, :discover}}
  end

  @impl true
  def handle_continue(:discover, state), do: {:noreply, discover(state)}

  @impl true
  def handle_info(:discover, state), do: {:noreply, discover(state)}
  def handle_info(_other, state), do: {:noreply, state}

  defp discover(state) do
    peers = targets(state)

    peers
    |> Task.async_stream(
      fn peer ->
        if Node.connect(String.to_atom(peer)), do: log(state, "#{node()} connected to #{peer}")
      end,
      max_concurrency: max(1, length(peers)),
      timeout: state.connect_timeout
    )
    |> Stream.run()

    Process.send_after(self(), :discover, state.interval)
    state
  end

  # Every discovered `basename@ip` that is not in Node.list(:visible), so itself too.
  defp targets(state) do
    visible = MapSet.new(Node.list(:visible), &Atom.to_string/1)

    for {basename, ip} <- addresses(state),
        name = "#{basename}@#{ip}",
        name not in visible,
        do: name
  end

  defp addresses(%{queries: queries, basename: basename, resource_types: types}) do
    for type <- types, query <- queries, ip <- lookup(query, type) do
      {basename, ip}
    end
    |> Enum.uniq()
    |> Enum.map(fn {basename, ip} -> {basename, :inet.ntoa(ip) |> to_string()} end)
  end

  defp lookup(query, type) when type in [:a, :aaaa], do: getbyname(query, type)

  # Every target of the SRV answer, resolved with the native resolver; the port is dropped.
  defp lookup(query, :srv) do
    for {_priority, _weight, _port, host} <- getbyname(query, :srv),
        ip <- gethostbyname(host),
        do: ip
  end

  defp getbyname(query, type) do
    case :inet_res.getbyname(String.to_charlist(query), type) do
      {:ok, {:hostent, _name, _aliases, _type, _length, records}} -> records
      {:error, _reason} -> []
    end
  end

  defp gethostbyname(host) do
    case :inet.gethostbyname(host) do
      {:ok, {:hostent, _name, _aliases, _family, _length, ips}} -> ips
      {:error, _reason} -> []
    end
  end

  defp validate_resource_types!(types) do
    if types == [] or types -- @valid_resource_types != [] do
      raise ArgumentError,
            "expected :resource_types to be a subset of [:a, :aaaa, :srv], got: #{inspect(types)}"
    end
  end

  defp log(%{log: nil}, _msg), do: :ok
  defp log(%{log: level}, msg), do: Logger.log(level, msg)

  defp warn_on_invalid_dist do
    release? = is_binary(System.get_env("RELEASE_NAME"))

    cond do
      not Node.alive?() and release? ->
        Logger.warning("""
        node not running in distributed mode. Ensure the following exports are set in your rel/env.sh.eex file:

            export RELEASE_DISTRIBUTION=name
            export RELEASE_NODE="myapp@fully-qualified-host-or-ip"
        """)

      not Node.alive?() or (not release? and :net_kernel.longnames() != true) ->
        Logger.warning(
          "node not running in distributed mode. When running outside of a release, you must start net_kernel manually with longnames."
        )

      :net_kernel.longnames() != true ->
        Logger.warning("""
        node not running with longnames which are required for DNS discovery.
        Ensure the following exports are set in your rel/env.sh.eex file:

            export RELEASE_DISTRIBUTION=name
            export RELEASE_NODE="myapp@fully-qualified-host-or-ip"
        """)

      true ->
        :ok
    end
  end
end
