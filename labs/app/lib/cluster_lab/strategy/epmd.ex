defmodule ClusterLab.Strategy.Epmd do
  @moduledoc """
  Behaves like libcluster 3.5 `Cluster.Strategy.Epmd` (lib/strategy/epmd.ex).

    * An empty `CLUSTER_HOSTS` list: the child is not started (`:ignore`).
    * The first connect runs inside `init/1`, so the application's start waits for it.
    * `CLUSTER_TIMEOUT` is libcluster's `timeout` (in the code since 3.3.3; the
      CHANGELOG lists "reconnect after connection failures" under 3.4.1): after
      that many idle ms the whole host list is dialled again. Unset or `infinity`,
      libcluster's default, connects only at start-up, so a peer that was down
      then, or a healed partition, stays split.
    * Logs as libcluster does (`ClusterLab.Strategy.Libcluster`), with the topology
      name `CLUSTER_TOPOLOGY` (default `epmd`): `[libcluster:epmd] connected to ...`.
    * No nodedown handling of its own.

      # the same in libcluster:
      config :libcluster,
        topologies: [epmd: [strategy: Cluster.Strategy.Epmd,
                            config: [hosts: [:"a@a.lab", :"b@b.lab"], timeout: 1_000]]]
  """
  use GenServer
  alias ClusterLab.Strategy.Libcluster

  def child_spec(opts), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}

  def start_link(opts) do
    case Keyword.fetch!(opts, :hosts) do
      [] -> :ignore
      _hosts -> GenServer.start_link(__MODULE__, Map.new(opts), name: __MODULE__)
    end
  end

  @impl true
  def init(state) do
    connect(state)
    {:ok, state, state.timeout}
  end

  @impl true
  def handle_info(:timeout, state) do
    connect(state)
    {:noreply, state, state.timeout}
  end

  def handle_info(_other, state), do: {:noreply, state, state.timeout}

  defp connect(%{topology: topology, hosts: hosts}), do: Libcluster.connect_nodes(topology, hosts)
end
