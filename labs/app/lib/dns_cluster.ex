defmodule DNSCluster do
  @moduledoc """
  dns_cluster 0.3.0 (Phoenix's `DNSCluster`, lib/dns_cluster.ex and
  lib/dns_cluster/resolver.ex, read at upstream commit 790203e), from its behaviour.

      # what `mix phx.new` generates (lib/my_app/application.ex):
      {DNSCluster, query: Application.get_env(:my_app, :dns_cluster_query) || :ignore}

  Options, as upstream (`start_link/1`):

    * `query:` - required: a name, `{basename, name}`, or a list of them. `:ignore`: the
      child is not started. Missing: `ArgumentError` "missing required :query option in
      …"; anything else (a number, a charlist): `ArgumentError` "expected :query to be a
      string, {basename, query}, or list, got: …". `nil` wraps to an empty list: the
      process runs and never dials anybody (why phx.new writes `|| :ignore`).
    * `resource_types:` - default `[:a, :aaaa]`, also `:srv`; an empty list or another
      type raises `ArgumentError` "expected :resource_types to be a subset of [:a, :aaaa,
      :srv], got: …".
    * `interval:` (default 5000 ms), `connect_timeout:` (10 000 ms), `log:` (a Logger
      level for success lines; default `false`: silent), `name:` (default `DNSCluster`).
      Any other key is ignored.

  Behaviour:

    * `:a`/`:aaaa`: `:inet_res.getbyname(query, type)` (since 0.1.2, "to support search
      list"): a dotless name is asked with the search domain, which a dotted hostname
      brings (`user_svc.msvc_default`: `app` finds nothing on OTP 25/27, `app.` always
      finds every address).
    * `:srv`: `:inet_res.getbyname(query, :srv)`, then every target through
      `:inet.gethostbyname/1` (IPv4); port, priority and weight are dropped, so SRV mode
      too dials `<basename>@<ip>`.
    * Dials `<basename>@<ip>` (the node's own basename unless the query names one) for
      every address whose name is not in `Node.list(:visible)`, itself included, all in
      parallel; a dial running past `connect_timeout` exits the process (as
      `Task.async_stream/3` does) and its supervisor restarts it.
    * First poll at once (`handle_continue`), then every `interval`. Never logs a failed
      dial. Warns once at start when the node is not distributed or not on long names.
  """
  use GenServer
  require Logger

  @valid_resource_types [:a, :aaaa, :srv]

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, name: Keyword.get(opts, :name, __MODULE__))
  end

  @doc "The names the next poll would dial (lab tests, `ClusterLab.Inspect`; not dns_cluster API)."
  def dial_list(server), do: server |> :sys.get_state() |> targets() |> Enum.map(&String.to_atom/1)

  @impl true
  def init(opts) do
    case Keyword.fetch(opts, :query) do
      {:ok, :ignore} ->
        :ignore

      {:ok, query} ->
        validate_query!(query)
        types = Keyword.get(opts, :resource_types, [:a, :aaaa])
        validate_resource_types!(types)
        warn_on_invalid_dist()
        [basename, _host] = node() |> Atom.to_string() |> String.split("@", parts: 2)

        state = %{
          queries: List.wrap(query),
          basename: basename,
          resource_types: types,
          interval: Keyword.get(opts, :interval, 5_000),
          connect_timeout: Keyword.get(opts, :connect_timeout, 10_000),
          log: Keyword.get(opts, :log, false)
        }

        {:ok, state, {:continue, :discover}}

      :error ->
        raise ArgumentError, "missing required :query option in #{inspect(opts)}"
    end
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

  defp addresses(%{queries: queries, resource_types: types} = state) do
    for type <- types,
        query <- queries,
        {basename, name} = split(query, state),
        ip <- lookup(name, type) do
      {basename, ip}
    end
    |> Enum.uniq()
    |> Enum.map(fn {basename, ip} -> {basename, ip |> :inet.ntoa() |> to_string()} end)
  end

  defp split({basename, name}, _state), do: {basename, name}
  defp split(name, %{basename: basename}), do: {basename, name}

  defp lookup(name, type) when type in [:a, :aaaa], do: getbyname(name, type)

  defp lookup(name, :srv) do
    for {_priority, _weight, _port, host} <- getbyname(name, :srv),
        ip <- gethostbyname(host),
        do: ip
  end

  defp getbyname(name, type) do
    case :inet_res.getbyname(String.to_charlist(name), type) do
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

  defp validate_query!(query) do
    for q <- List.wrap(query) do
      case q do
        name when is_binary(name) ->
          :ok

        {basename, name} when is_binary(basename) and is_binary(name) ->
          :ok

        _ ->
          raise ArgumentError,
                "expected :query to be a string, {basename, query}, or list, got: #{inspect(query)}"
      end
    end
  end

  defp validate_resource_types!(types) do
    if types == [] or types -- @valid_resource_types != [] do
      raise ArgumentError,
            "expected :resource_types to be a subset of [:a, :aaaa, :srv], got: #{inspect(types)}"
    end
  end

  defp log(%{log: false}, _msg), do: :ok
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
