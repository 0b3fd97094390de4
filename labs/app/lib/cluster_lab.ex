defmodule ClusterLab do
  @moduledoc """
  The one service behind every ClusterLab Compose variant.

  Each container runs this release; environment variables choose what it does
  (see `ClusterLab.Application`), so a lesson's broken and fixed variants
  differ only in their Compose files, never in code.
  """

  @dir "/tmp/clusterlab"

  @doc "Directory where the node publishes its name, cookie and readiness."
  def state_dir, do: @dir

  @doc false
  def state_path(file), do: Path.join(@dir, file)
end
