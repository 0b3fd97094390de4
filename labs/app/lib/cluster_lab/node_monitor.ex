defmodule ClusterLab.NodeMonitor do
  @moduledoc """
  Logs every nodeup and nodedown this node sees.

  A partition ends on each side when that side's own tick timer fires, not when the
  other side notices. Lessons wait for these lines (`[clusterlab] nodedown :"x"`)
  before healing a partition, so they know both sides really saw it.
  """
  use GenServer
  require Logger

  def start_link(_opts), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  @impl true
  def init(nil) do
    :ok = :net_kernel.monitor_nodes(true)
    {:ok, nil}
  end

  @impl true
  def handle_info({event, node}, state) when event in [:nodeup, :nodedown] do
    Logger.info("[clusterlab] #{event} #{inspect(node)}")
    {:noreply, state}
  end
end
