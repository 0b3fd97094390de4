defmodule Cluster.Strategy.DNSPoll do
  @moduledoc """
  libcluster 3.5's `Cluster.Strategy.DNSPoll` (lib/strategy/dns_poll.ex), from its
  behaviour.

      config :libcluster,
        topologies: [dns_poll: [strategy: Cluster.Strategy.DNSPoll,
                                config: [polling_interval: 5_000, query: "app",
                                         node_basename: "app"]]]

    * Resolves `query` with `:inet_res.lookup(query, :in, :a)`, then `:aaaa`: no search
      list, so a dotless name is asked as it is.
    * Dials `node_basename@<ip>` for every address but its own name, one after another
      (`Cluster.Strategy.connect_nodes/4`), and logs a warning for every failed dial on
      every poll: `[libcluster:dns_poll] unable to connect to :"app@172.18.0.3"`.
    * First poll inside `init/1`, then every `polling_interval` ms (default 5000).
    * Disconnects nodes that were in the previous answer and are gone from this one.
    * Both `query` and `node_basename` missing: a warning on every poll ("query and
      basename params missed"), no dial. Either one empty or not a string: a warning
      ("query or basename param is invalid"). Exactly one of them missing: no clause
      matches, as upstream, so the strategy crashes (`FunctionClauseError`) and with it
      the application's start.
  """
  use GenServer
  use Cluster.Strategy
  alias Cluster.Logger, as: Log
  alias Cluster.Strategy.State

  @impl Cluster.Strategy
  def start_link(args), do: GenServer.start_link(__MODULE__, args)

  @doc "The names the next poll would dial (lab tests, `ClusterLab.Inspect`; not libcluster API)."
  def dial_list(pid), do: pid |> :sys.get_state() |> nodes()

  @impl GenServer
  def init([%State{meta: nil} = state]), do: init([%State{state | meta: MapSet.new()}])
  def init([%State{} = state]), do: {:ok, poll(state)}

  @impl GenServer
  def handle_info(:timeout, state), do: handle_info(:poll, state)
  def handle_info(:poll, state), do: {:noreply, poll(state)}
  def handle_info(_other, state), do: {:noreply, state}

  defp poll(%State{topology: topology} = state) do
    found = MapSet.new(nodes(state))
    gone = MapSet.difference(state.meta, found)

    found =
      case Cluster.Strategy.disconnect_nodes(
             topology,
             state.disconnect,
             state.list_nodes,
             MapSet.to_list(gone)
           ) do
        :ok -> found
        {:error, kept} -> Enum.reduce(kept, found, fn {n, _}, acc -> MapSet.put(acc, n) end)
      end

    found =
      case Cluster.Strategy.connect_nodes(
             topology,
             state.connect,
             state.list_nodes,
             MapSet.to_list(found)
           ) do
        :ok -> found
        {:error, bad} -> Enum.reduce(bad, found, fn {n, _}, acc -> MapSet.delete(acc, n) end)
      end

    Process.send_after(self(), :poll, Keyword.get(state.config, :polling_interval, 5_000))
    %State{state | meta: found}
  end

  defp nodes(%State{config: config, topology: topology}) do
    resolve(Keyword.fetch(config, :query), Keyword.fetch(config, :node_basename), topology)
  end

  defp resolve({:ok, query}, {:ok, basename}, topology)
       when is_binary(query) and is_binary(basename) and query != "" and basename != "" do
    Log.debug(topology, "polling dns for '#{query}'")
    me = node()

    for type <- [:a, :aaaa],
        ip <- :inet_res.lookup(String.to_charlist(query), :in, type),
        peer = :"#{basename}@#{:inet_parse.ntoa(ip)}",
        peer != me,
        do: peer
  end

  defp resolve({:ok, query}, {:ok, basename}, topology) do
    Log.warn(
      topology,
      "dns polling strategy is selected, but query or basename param is invalid: " <>
        inspect(%{query: query, node_basename: basename})
    )

    []
  end

  defp resolve(:error, :error, topology) do
    Log.warn(topology, "dns polling strategy is selected, but query and basename params missed")
    []
  end
end
