defmodule ClusterLab.Rel do
  @moduledoc """
  Renders a project's `rel/env.sh.eex` and `rel/vm.args.eex` as `mix release` does at
  build time (`EEx.eval_file/2` with the release as `@release`), so a lesson's or an
  exercise's templates can be mounted over the release's own rendered files
  (releases/<vsn>/env.sh, vm.args). The lab runs it once per start, in a throw-away
  container: `bin/clusterlab eval 'ClusterLab.Rel.render("/project/rel")'`.

  `@release` carries the fields templates use (`name`, `version`, `path`,
  `version_path`, `erts_version`, `options`); a template error stops the render with
  EEx's or the compiler's own message and line.
  """

  @templates ["env.sh.eex", "vm.args.eex"]

  @doc "Prints each template found in `dir`, rendered: a header line, then base64."
  def render(dir) do
    release = release()

    for name <- @templates, path = Path.join(dir, name), File.exists?(path) do
      text = EEx.eval_file(path, [assigns: [release: release]], file: "rel/#{name}")
      IO.puts("#{name} #{Base.encode64(text)}")
    end

    :ok
  end

  # What the release script exports for every command, `eval` included.
  defp release do
    root = System.fetch_env!("RELEASE_ROOT")
    version = System.fetch_env!("RELEASE_VSN")

    %{
      name: String.to_atom(System.fetch_env!("RELEASE_NAME")),
      version: version,
      path: root,
      version_path: Path.join([root, "releases", version]),
      erts_version: :erlang.system_info(:version) |> to_string(),
      options: []
    }
  end
end
