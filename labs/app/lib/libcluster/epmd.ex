defmodule Cluster.Strategy.Epmd do
  @moduledoc """
  libcluster 3.5's `Cluster.Strategy.Epmd` (lib/strategy/epmd.ex), from its behaviour.

      config :libcluster,
        topologies: [epmd: [strategy: Cluster.Strategy.Epmd,
                            config: [hosts: [:"a@a.lab", :"b@b.lab"], timeout: 1_000]]]

    * `hosts:` missing or `[]`: the child is not started (`:ignore`).
    * The first connect runs inside `init/1`, so the application's start waits for it.
    * `timeout:` (in the code since 3.3.3; the CHANGELOG lists "reconnect after
      connection failures" under 3.4.1): after that many idle ms the whole list is
      dialled again. Missing, or `:infinity` (the default): only at start-up, so a peer
      that was down then, or a healed partition, stays split.
    * No nodedown handling of its own; unknown `config:` keys are ignored.
  """
  use GenServer
  use Cluster.Strategy
  alias Cluster.Strategy.State

  @impl Cluster.Strategy
  def start_link([%State{config: config} = state]) do
    case Keyword.get(config, :hosts, []) do
      [] -> :ignore
      hosts when is_list(hosts) -> GenServer.start_link(__MODULE__, [state])
    end
  end

  @impl GenServer
  def init([state]) do
    connect(state)
    {:ok, state, timeout(state)}
  end

  @impl GenServer
  def handle_info(:timeout, state), do: handle_info(:connect, state)

  def handle_info(:connect, state) do
    connect(state)
    {:noreply, state, timeout(state)}
  end

  defp timeout(%State{config: config}), do: Keyword.get(config, :timeout, :infinity)

  defp connect(%State{config: config} = state) do
    Cluster.Strategy.connect_nodes(
      state.topology,
      state.connect,
      state.list_nodes,
      Keyword.get(config, :hosts, [])
    )
  end
end
