using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Cli.Formatting;
using Berth.Cli.Output;
using Berth.Engine;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.References;
using Berth.Engine.Services.Images;

namespace Berth.Cli.Commands;

/// <summary>images, tag, rmi, history, image inspect, import, save, load (and their `image X` forms).</summary>
public static class ImageCommands
{
    public static IEnumerable<CommandFactory> Create() =>
    [
        new("image", Group), new("images", () => Images("images")), new("tag", () => Tag("tag")), new("rmi", () => Remove("rmi")),
        new("history", () => History("history")), new("import", () => Import("import")), new("save", () => Save("save")),
        new("load", () => Load("load")),
    ];

    /// <summary>`image ls|tag|rm|history|inspect|import|save|load|pull|push|prune`.</summary>
    static Command Group()
    {
        var image = new Command("image", "Manage images");
        var ls = Images("ls"); ls.Aliases.Add("list");
        image.Add(ls);
        image.Add(Tag("tag"));
        image.Add(Remove("rm"));
        image.Add(History("history"));
        image.Add(Inspect("inspect"));
        image.Add(Import("import"));
        image.Add(Save("save"));
        image.Add(Load("load"));
        foreach (var command in RegistryCommands.ImageSubcommands()) image.Add(command);
        image.Add(MaintenanceCommands.ImagePrune());
        return image;
    }

    static readonly Dictionary<string, string> ImageHeaders = new()
    {
        ["ID"] = "IMAGE ID", ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["Digest"] = "DIGEST",
        ["CreatedSince"] = "CREATED", ["CreatedAt"] = "CREATED AT", ["Size"] = "SIZE", ["Containers"] = "CONTAINERS",
        ["VirtualSize"] = "SIZE", ["SharedSize"] = "SHARED SIZE", ["UniqueSize"] = "UNIQUE SIZE",
    };

    static Command Images(string name)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all images (default hides intermediate images)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var digests = new Option<bool>("--digests") { Description = "Show digests" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var filters = new Option<string[]>("--filter", "-f") { Description = "Filter output based on conditions provided (dangling=, reference=, label=, before=, since=)" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template" };
        var repository = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command(name, "List images") { all, quiet, digests, noTrunc, filters, format, repository };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var filter = ImageListFilter.Parse(parse.GetValue(filters) ?? []);
            if (parse.GetValue(repository) is { } repo) filter = filter with { References = [.. filter.References, repo] };
            var rows = await context.Images.ListAsync(filter, parse.GetValue(all), cancellationToken);
            bool trunc = !parse.GetValue(noTrunc);
            if (parse.GetValue(quiet))
            {
                foreach (var id in rows.Select(r => r.Id).Distinct()) context.Out.WriteLine(trunc ? id.Short : id.ToString());
                return 0;
            }
            var now = DateTimeOffset.UtcNow;
            var objects = rows.Select(r =>
            {
                long size = r.Size;
                return new JsonObject
                {
                    ["Containers"] = "N/A",
                    ["CreatedAt"] = r.Created is { } c ? GoTime.Format(c) : "",
                    ["CreatedSince"] = r.Created is { } c2 ? HumanUnits.TimeAgo(c2, now) : "N/A",
                    ["Digest"] = r.Digest ?? "<none>",
                    ["ID"] = trunc ? r.Id.Short : r.Id.ToString(),
                    ["Repository"] = r.Repository ?? "<none>",
                    ["SharedSize"] = "N/A",
                    ["Size"] = HumanUnits.HumanSize(size),
                    ["Tag"] = r.Tag ?? "<none>",
                    ["UniqueSize"] = "N/A",
                    ["VirtualSize"] = HumanUnits.HumanSize(size),
                };
            }).ToList();
            string table = parse.GetValue(digests)
                ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
            WriteList(context.Out, parse.GetValue(format), table, objects, ImageHeaders);
            return 0;
        });
        return command;
    }

    static Command Tag(string name)
    {
        var source = new Argument<string>("SOURCE_IMAGE[:TAG]");
        var target = new Argument<string>("TARGET_IMAGE[:TAG]");
        var command = new Command(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE") { source, target };
        command.SetAction(parse =>
        {
            new CommandContext(parse).Images.Tag(parse.GetValue(source)!, parse.GetValue(target)!);
            return 0;
        });
        return command;
    }

    static Command Remove(string name)
    {
        var force = new Option<bool>("--force", "-f") { Description = "Force removal of the image" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, "Remove one or more images") { force, noPrune, images };
        command.SetAction(parse =>
        {
            var context = new CommandContext(parse);
            int status = 0;
            foreach (var image in parse.GetValue(images)!)
            {
                try
                {
                    foreach (var line in context.Images.Remove(image, parse.GetValue(force), !parse.GetValue(noPrune))) context.Out.WriteLine(line);
                }
                catch (BerthException e)
                {
                    context.Error.WriteLine("Error: " + e.Message);
                    status = 1;
                }
            }
            return status;
        });
        return command;
    }

    static readonly Dictionary<string, string> HistoryHeaders = new()
    {
        ["ID"] = "IMAGE", ["CreatedSince"] = "CREATED", ["CreatedAt"] = "CREATED AT", ["CreatedBy"] = "CREATED BY", ["Size"] = "SIZE", ["Comment"] = "COMMENT",
    };

    static Command History(string name)
    {
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format", DefaultValueFactory = _ => true };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var format = new Option<string?>("--format") { Description = "Format output using a custom template" };
        var image = new Argument<string>("IMAGE");
        var command = new Command(name, "Show the history of an image") { human, noTrunc, quiet, format, image };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var rows = await context.Images.HistoryAsync(parse.GetValue(image)!, cancellationToken);
            bool trunc = !parse.GetValue(noTrunc);
            if (parse.GetValue(quiet))
            {
                foreach (var row in rows) context.Out.WriteLine(row.Image is { } id ? (trunc ? id.Short : id.ToString()) : "<missing>");
                return 0;
            }
            bool isHuman = parse.GetValue(human);
            var now = DateTimeOffset.UtcNow;
            var objects = rows.Select(r =>
            {
                string createdBy = r.CreatedBy.Replace("\t", " ");
                if (trunc) createdBy = Ellipsis(createdBy, 45);
                return new JsonObject
                {
                    ["Comment"] = r.Comment,
                    ["CreatedAt"] = r.Created is { } c ? (isHuman ? GoTime.Format(c) : c.ToString("yyyy-MM-dd'T'HH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture)) : "",
                    ["CreatedBy"] = createdBy,
                    ["CreatedSince"] = r.Created is { } c2 ? (isHuman ? HumanUnits.TimeAgo(c2, now) : c2.ToString("yyyy-MM-dd'T'HH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture)) : "N/A",
                    ["ID"] = r.Image is { } id ? (trunc ? id.Short : id.ToString()) : "<missing>",
                    ["Size"] = isHuman ? HumanUnits.HumanSizeWithPrecision(r.Size, 3) : r.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
            }).ToList();
            WriteList(context.Out, parse.GetValue(format), "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", objects, HistoryHeaders);
            return 0;
        });
        return command;
    }

    static void WriteList(TextWriter output, string? format, string defaultTable, IReadOnlyList<JsonObject> rows, IReadOnlyDictionary<string, string> headers)
        => new ListFormatter(string.IsNullOrEmpty(format) ? defaultTable : format, headers, defaultTable).Write(output, rows);

    /// <summary>docker/cli's stringutils.Ellipsis: at most <paramref name="max"/> runes, the last one "…" when cut.</summary>
    internal static string Ellipsis(string text, int max)
    {
        if (TableWriter.CellWidth(text) <= max) return text;
        int end = 0; // after the first max - 1 runes
        for (int rune = 0; rune < max - 1; rune++)
            end += char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1]) ? 2 : 1;
        return text[..end] + "…";
    }

    static Command Inspect(string name)
    {
        var format = new Option<string?>("--format", "-f") { Description = "Format output using a custom template" };
        var type = new Option<string?>("--type") { Description = "Return JSON for specified type (image)" };
        var objects = new Argument<string[]>("NAME|ID") { Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, "Display detailed information on one or more images") { format, objects };
        if (name == "inspect") command.Add(type);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            var found = new List<JsonNode>();
            int status = 0;
            foreach (var target in parse.GetValue(objects)!)
            {
                try { found.Add(await context.Images.InspectAsync(target, cancellationToken)); }
                catch (NotFoundException)
                {
                    context.Error.WriteLine($"Error: No such {(name == "inspect" ? "object" : "image")}: {target}");
                    status = 1;
                }
            }
            if (found.Count > 0 || string.IsNullOrEmpty(parse.GetValue(format))) JsonOutput.WriteInspect(context.Out, found, parse.GetValue(format));
            return status;
        });
        return command;
    }

    static Command Import(string name)
    {
        var changes = new Option<string[]>("--change", "-c") { Description = "Apply Dockerfile instruction to the created image" };
        var message = new Option<string?>("--message", "-m") { Description = "Set commit message for imported image" };
        var platform = new Option<string?>("--platform") { Description = "Set platform if server is multi-platform capable" };
        var source = new Argument<string>("file|URL|-");
        var reference = new Argument<string?>("REPOSITORY[:TAG]") { Arity = ArgumentArity.ZeroOrOne };
        var command = new Command(name, "Import the contents from a tarball to create a filesystem image") { changes, message, platform, source, reference };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string from = parse.GetValue(source)!;
            await using var stream = await OpenSourceAsync(from, cancellationToken);
            var options = new ImportOptions(from == "-" ? "-" : from, parse.GetValue(changes) ?? [], parse.GetValue(message),
                parse.GetValue(platform) is { } p ? Platform.Parse(p) : null, parse.GetValue(reference));
            var id = await context.Images.ImportAsync(stream, options, cancellationToken);
            context.Out.WriteLine(id.ToString());
            return 0;
        });
        return command;
    }

    static async Task<Stream> OpenSourceAsync(string source, CancellationToken cancellationToken)
    {
        if (source == "-") return Console.OpenStandardInput();
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var http = new HttpClient();
            var response = await http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode) throw new InvalidInputException($"import: GET {source}: {(int)response.StatusCode} {response.ReasonPhrase}");
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        if (!File.Exists(source)) throw new NotFoundException($"open {source}: no such file or directory");
        return new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
    }

    static Command Save(string name)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file, instead of STDOUT" };
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, "Save one or more images to a tar archive (streamed to STDOUT by default)") { output, images };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string? path = parse.GetValue(output);
            if (path is null && !Console.IsOutputRedirected)
                throw new InvalidInputException("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            var names = parse.GetValue(images)!;
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await context.Images.SaveAsync(names, stdout, cancellationToken);
                return 0;
            }
            string temp = path + ".berth-tmp";
            try
            {
                await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                    await context.Images.SaveAsync(names, file, cancellationToken);
                File.Move(temp, path, overwrite: true);
            }
            finally { File.Delete(temp); }
            return 0;
        });
        return command;
    }

    static Command Load(string name)
    {
        var input = new Option<string?>("--input", "-i") { Description = "Read from tar archive file, instead of STDIN" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the load output" };
        var command = new Command(name, "Load an image from a tar archive or STDIN") { input, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            string? path = parse.GetValue(input);
            if (path is null && !Console.IsInputRedirected)
                throw new InvalidInputException("requested load from stdin, but stdin is empty");
            await using var stream = path is null ? Console.OpenStandardInput() : await OpenSourceAsync(path, cancellationToken);
            var result = await context.Images.LoadAsync(stream, path ?? "stdin", cancellationToken);
            foreach (var line in result.Lines) context.Out.WriteLine(line);
            return 0;
        });
        return command;
    }
}
