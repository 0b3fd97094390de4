defmodule ClusterLab.NodeMonitor do
  @moduledoc """
  Logs every nodeup and nodedown this node sees.

  A partition ends on each side when that side's own tick timer fires, not when the
  other side notices. Lessons wait for these lines (`[clusterlab] nodedown :"x"`)
  before healing a partition, so they know both sides really saw it.

  A connection can come before this monitor does: `global` on a peer links every pair
  it knows (`connect_all`), from the kernel, while this node's app is still starting.
  Such nodes are logged as `nodeup` when the monitor starts (no event will follow), so
  every connection of a node is in its log, whoever made it and whenever.
  """
  use GenServer
  require Logger

  def start_link(_opts), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  @impl true
  def init(nil) do
    :ok = :net_kernel.monitor_nodes(true)

    for node <- Node.list() do
      Logger.info("[clusterlab] nodeup #{inspect(node)} (connected while this node booted)")
    end

    {:ok, nil}
  end

  @impl true
  def handle_info({event, node}, state) when event in [:nodeup, :nodedown] do
    Logger.info("[clusterlab] #{event} #{inspect(node)}")
    {:noreply, state}
  end
end
