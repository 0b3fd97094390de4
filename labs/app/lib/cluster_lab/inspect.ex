defmodule ClusterLab.Inspect do
  @moduledoc """
  The lab tests' view into the clustering processes, through `erl_call` (not upstream
  API): libcluster's strategies run unnamed under `ClusterLab.ClusterSupervisor`, as
  upstream's do, so they are found there by module.

      erl_call -n <node> -c <cookie> -a 'Elixir.ClusterLab.Inspect state [Elixir.Cluster.Strategy.DNSPoll]'
  """

  @doc "The process running `module` (`DNSCluster` or a libcluster strategy), or nil."
  def pid(DNSCluster), do: Process.whereis(DNSCluster)

  def pid(module) do
    Enum.find_value(Supervisor.which_children(ClusterLab.ClusterSupervisor), fn
      {_id, pid, _type, [^module]} when is_pid(pid) -> pid
      _ -> nil
    end)
  end

  @doc "Its state (`:sys.get_state/1`)."
  def state(module), do: :sys.get_state(pid(module))

  @doc "The names its next poll would dial."
  def dial_list(module), do: module.dial_list(pid(module))
end
