namespace Sockit.Tracing;

/// <summary>How a <see cref="ConversationDump"/> writes the bytes.</summary>
internal enum DumpFormat
{
    /// <summary>One line per chunk, printable bytes as they are and the rest escaped (<c>\r \n \t \xNN</c>).</summary>
    Text,

    /// <summary>A hexdump, 16 bytes a line with offsets counted per connection and direction.</summary>
    Hex,

    /// <summary>One JSON object per chunk (time, connection, direction, offset, length, base64 data), for programs.</summary>
    Jsonl,
}
