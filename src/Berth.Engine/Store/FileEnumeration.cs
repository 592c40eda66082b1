namespace Berth.Engine;

/// <summary>Directory enumeration that sees every entry: .NET skips hidden (dot) files by default, a layer must not.</summary>
public static class FileEnumeration
{
    public static EnumerationOptions Everything(bool recurse, bool ignoreInaccessible = false) => new()
    {
        RecurseSubdirectories = recurse,
        AttributesToSkip = FileAttributes.None,
        IgnoreInaccessible = ignoreInaccessible,
    };

    /// <summary>
    /// Every entry under <paramref name="dir"/>, recursively, never descending through a symlink. (.NET's own recursion
    /// follows symlinked directories: on an image with relative links between doc folders that walk never ends, and a
    /// link to / would walk the host.)
    /// </summary>
    public static IEnumerable<FileSystemInfo> Tree(string dir, bool ignoreInaccessible = false) =>
        new System.IO.Enumeration.FileSystemEnumerable<FileSystemInfo>(dir,
            (ref System.IO.Enumeration.FileSystemEntry entry) => entry.ToFileSystemInfo(),
            Everything(recurse: true, ignoreInaccessible))
        {
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
}
