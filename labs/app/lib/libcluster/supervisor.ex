defmodule Cluster.Supervisor do
  @moduledoc """
  libcluster 3.5's `Cluster.Supervisor` (lib/supervisor.ex), written from its behaviour:
  started as `{Cluster.Supervisor, [topologies, [name: MyApp.ClusterSupervisor]]}` (or
  `[topologies]`), one child per topology, `:one_for_one`.

  Each topology is `name: [strategy: Module, config: [...]]`, plus optional `connect:`,
  `disconnect:` and `list_nodes:` MFAs. A topology without `strategy:` crashes the start
  with `KeyError` (key :strategy not found), as upstream's `Keyword.fetch!`; every other
  key, and every key inside `config:`, is read with a default, so a misspelt one is
  ignored silently (`polling_intreval:` leaves the default interval).
  """
  use Supervisor

  def start_link([topologies, opts]), do: Supervisor.start_link(__MODULE__, topologies, opts)
  def start_link([topologies]), do: start_link([topologies, []])

  @impl true
  def init(topologies) do
    topologies
    |> Enum.map(&child/1)
    |> Supervisor.init(strategy: :one_for_one)
  end

  defp child({topology, spec}) do
    strategy = Keyword.fetch!(spec, :strategy)

    state = %Cluster.Strategy.State{
      topology: topology,
      config: Keyword.get(spec, :config, []),
      connect: Keyword.get(spec, :connect, {:net_kernel, :connect_node, []}),
      disconnect: Keyword.get(spec, :disconnect, {:erlang, :disconnect_node, []}),
      list_nodes: Keyword.get(spec, :list_nodes, {:erlang, :nodes, [:connected]})
    }

    %{id: topology, start: {strategy, :start_link, [[state]]}}
  end

end
