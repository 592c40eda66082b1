using System.Text;

namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>Go's <c>path/filepath</c> lexical helpers for '/'-separated paths (Linux), which the ignore rules are defined in.</summary>
internal static class GoPath
{
    /// <summary>Go <c>filepath.Clean</c>: collapses '/', drops '.', resolves '..' lexically, no trailing '/', "" → ".".</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        var rooted = path[0] == '/';
        var n = path.Length;
        var output = new StringBuilder(n);
        int r = 0, dotdot = 0;
        if (rooted)
        {
            output.Append('/');
            r = 1;
            dotdot = 1;
        }
        while (r < n)
        {
            if (path[r] == '/')
            {
                r++;
            }
            else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/'))
            {
                r++;
            }
            else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/'))
            {
                r += 2;
                if (output.Length > dotdot)
                {
                    // Back up to the previous separator (exclusive) or to the '..' floor.
                    var w = output.Length - 1;
                    while (w > dotdot && output[w] != '/') w--;
                    output.Length = w;
                }
                else if (!rooted)
                {
                    if (output.Length > 0) output.Append('/');
                    output.Append("..");
                    dotdot = output.Length;
                }
            }
            else
            {
                if ((rooted && output.Length != 1) || (!rooted && output.Length != 0)) output.Append('/');
                for (; r < n && path[r] != '/'; r++) output.Append(path[r]);
            }
        }
        return output.Length == 0 ? "." : output.ToString();
    }

    /// <summary>Go <c>filepath.Dir</c>: everything before the last '/', cleaned ("file" → ".", "a/" → "a", "/" → "/").</summary>
    public static string Dir(string path)
    {
        var i = path.LastIndexOf('/');
        return Clean(path[..(i + 1)]);
    }
}
