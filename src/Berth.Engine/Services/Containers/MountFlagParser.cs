using System.Globalization;

namespace Berth.Engine.Services.Containers;

/// <summary>One `--mount` value as docker/cli reads it: comma-separated key=value fields (a field in double quotes may hold a comma).</summary>
/// <param name="Type">"bind", "volume" (the default) or "tmpfs".</param>
/// <param name="Source">Host path (bind) or volume name; empty for an anonymous volume or a tmpfs.</param>
/// <param name="Options">For binds and volumes the -v style options (propagation, nocopy); for a tmpfs its mount options.</param>
public sealed record MountFlag(string Type, string Source, string Target, bool ReadOnly, string Options);

/// <summary>
/// `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,bind-propagation=…][,volume-nocopy][,tmpfs-size=…][,tmpfs-mode=…]`
/// with docker/cli's keys and messages and the daemon's checks on them (a bind's source must exist: unlike -v,
/// --mount never creates it).
/// </summary>
public static class MountFlagParser
{
    public static MountFlag Parse(string value)
    {
        string type = "volume", source = "", target = "", propagation = "", tmpfsSize = "", tmpfsMode = "";
        bool readOnly = false, noCopy = false;
        foreach (string field in Fields(value))
        {
            int eq = field.IndexOf('=');
            string key = (eq < 0 ? field : field[..eq]).Trim().ToLowerInvariant();
            string? val = eq < 0 ? null : field[(eq + 1)..];
            switch (key)
            {
                case "readonly" or "ro": readOnly = Boolean(field, val); continue;
                case "volume-nocopy": noCopy = Boolean(field, val); continue;
                case "bind-nonrecursive" or "consistency": continue; // no effect here, as on Linux Docker for consistency
            }
            if (val is null) throw Invalid(value, $"invalid field '{field}' must be a key=value pair");
            switch (key)
            {
                case "type": type = val.ToLowerInvariant(); break;
                case "source" or "src": source = val; break;
                case "target" or "destination" or "dst": target = val; break;
                case "bind-propagation": propagation = val.ToLowerInvariant(); break;
                case "tmpfs-size": tmpfsSize = val; break;
                case "tmpfs-mode": tmpfsMode = val; break;
                case "volume-driver" when val == "local": break;
                case "volume-driver": throw Invalid(value, $"volume driver {val} is not supported (only local)");
                case "volume-label" or "volume-opt" or "volume-subpath" or "bind-recursive":
                    throw Invalid(value, $"the '{key}' field is not supported by Berth yet");
                default: throw Invalid(value, $"unexpected key '{key}' in '{field}'");
            }
        }
        if (type is not ("bind" or "volume" or "tmpfs")) throw Invalid(value, $"invalid mount type \"{type}\": only bind, volume and tmpfs are supported");
        string Config(string why) => $"invalid mount config for type \"{type}\": {why}";
        if (target.Length == 0) throw new InvalidInputException(Config("field Target must not be empty"));
        if (!target.StartsWith('/')) throw new InvalidInputException(Config($"invalid mount path: '{target}' mount path must be absolute"));
        if (propagation.Length > 0 && type != "bind") throw new InvalidInputException(Config("field BindOptions must not be specified"));
        if (propagation is not ("" or "private" or "rprivate" or "shared" or "rshared" or "slave" or "rslave"))
            throw Invalid(value, $"invalid bind propagation '{propagation}'");
        if (noCopy && type != "volume") throw new InvalidInputException(Config("field VolumeOptions must not be specified"));
        if ((tmpfsSize.Length > 0 || tmpfsMode.Length > 0) && type != "tmpfs") throw new InvalidInputException(Config("field TmpfsOptions must not be specified"));
        switch (type)
        {
            case "bind":
                if (source.Length == 0) throw new InvalidInputException(Config("field Source must not be empty"));
                if (!source.StartsWith('/')) throw new InvalidInputException(Config($"invalid mount path: '{source}' mount path must be absolute"));
                if (!Path.Exists(source)) throw new InvalidInputException(Config($"bind source path does not exist: {source}"));
                return new MountFlag(type, source, target, readOnly, propagation);
            case "volume":
                if (source.StartsWith('/') || source.StartsWith('.'))
                    throw new InvalidInputException(Config($"invalid volume name \"{source}\": use type=bind for a host path"));
                return new MountFlag(type, source, target, readOnly, noCopy ? "nocopy" : "");
            default:
                if (source.Length > 0) throw new InvalidInputException(Config("field Source must not be specified"));
                var options = new List<string>();
                if (tmpfsSize.Length > 0) options.Add("size=" + RunFlagParsers.SizeInBytes(tmpfsSize, "--mount").ToString(CultureInfo.InvariantCulture));
                if (tmpfsMode.Length > 0)
                {
                    try { options.Add("mode=" + Convert.ToString(Convert.ToInt32(tmpfsMode, 8), 8)); }
                    catch (FormatException) { throw Invalid(value, $"invalid value for tmpfs-mode: {tmpfsMode}"); }
                }
                if (readOnly) options.Add("ro");
                return new MountFlag(type, "", target, readOnly, string.Join(',', options));
        }
    }

    /// <summary>docker/cli reads the value as one CSV record: fields split at commas outside double quotes, the quotes removed.</summary>
    static List<string> Fields(string value)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in value)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (c == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); continue; }
            current.Append(c);
        }
        if (quoted) throw Invalid(value, "parse error: extraneous or missing \" in quoted-field");
        fields.Add(current.ToString());
        return fields.Where(f => f.Length > 0).ToList();
    }

    static bool Boolean(string field, string? value) => value?.ToLowerInvariant() switch
    {
        null or "1" or "true" => true,
        "0" or "false" => false,
        _ => throw new InvalidInputException($"invalid argument for \"--mount\" flag: invalid value for '{field}': must be a boolean"),
    };

    static InvalidInputException Invalid(string value, string why) => new($"invalid argument \"{value}\" for \"--mount\" flag: {why}");
}
