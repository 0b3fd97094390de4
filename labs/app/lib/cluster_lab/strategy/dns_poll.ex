defmodule ClusterLab.Strategy.DNSPoll do
  @moduledoc """
  Behaves like libcluster 3.5 `Cluster.Strategy.DNSPoll` (lib/strategy/dns_poll.ex).

    * Resolves `DNS_QUERY` with `:inet_res.lookup(query, :in, :a)` and then `:aaaa`:
      no search list, so a dotless name is asked as it is.
    * Dials `DNS_BASENAME@<ip>` for every address but its own name; the basename
      is required (libcluster's `node_basename`), there is no default.
    * First poll inside `init/1`, then every `DNS_POLL_MS` (libcluster's
      `polling_interval`, default 5000).
    * Dials one after another and logs a warning for every failed dial on every
      poll: `[libcluster:dns_poll] unable to connect to :"app@172.18.0.3"`.
    * Disconnects nodes that were in the previous answer and are gone from this one.
    * Topology name: `CLUSTER_TOPOLOGY` (default `dns_poll`).

      # the same in libcluster:
      config :libcluster,
        topologies: [dns_poll: [strategy: Cluster.Strategy.DNSPoll,
                                config: [polling_interval: 5_000, query: "app",
                                         node_basename: "app"]]]
  """
  use GenServer
  alias ClusterLab.Strategy.Libcluster

  def start_link(opts), do: GenServer.start_link(__MODULE__, Map.new(opts), name: __MODULE__)

  @doc "The names the next poll would dial (for the fidelity tests; not libcluster API)."
  def dial_list, do: __MODULE__ |> :sys.get_state() |> nodes()

  @impl true
  def init(state), do: {:ok, poll(Map.put(state, :known, MapSet.new()))}

  @impl true
  def handle_info(:poll, state), do: {:noreply, poll(state)}
  def handle_info(_other, state), do: {:noreply, state}

  defp poll(%{topology: topology, known: known} = state) do
    found = MapSet.new(nodes(state))
    gone = MapSet.difference(known, found)

    kept_gone =
      for {n, _reason} <- Libcluster.disconnect_nodes(topology, MapSet.to_list(gone)), do: n

    found = MapSet.union(found, MapSet.new(kept_gone))
    failed = for {n, _reason} <- Libcluster.connect_nodes(topology, MapSet.to_list(found)), do: n

    Process.send_after(self(), :poll, state.interval)
    %{state | known: MapSet.difference(found, MapSet.new(failed))}
  end

  defp nodes(%{topology: topology, query: query, basename: basename})
       when is_binary(query) and is_binary(basename) and query != "" and basename != "" do
    Libcluster.debug(topology, "polling dns for '#{query}'")
    q = String.to_charlist(query)

    for type <- [:a, :aaaa],
        ip <- :inet_res.lookup(q, :in, type),
        peer = :"#{basename}@#{:inet.ntoa(ip)}",
        peer != node(),
        do: peer
  end

  defp nodes(%{topology: topology, query: nil, basename: nil}) do
    Libcluster.warn(
      topology,
      "dns polling strategy is selected, but query and basename params missed"
    )

    []
  end

  defp nodes(%{topology: topology, query: query, basename: basename}) do
    Libcluster.warn(
      topology,
      "dns polling strategy is selected, but query or basename param is invalid: " <>
        inspect(%{query: query, node_basename: basename})
    )

    []
  end
end
