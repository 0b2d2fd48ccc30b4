namespace LangBridge.Imaging.Tests.Fixtures;

/// <summary>Adds an EXIF APP1 segment holding only an orientation tag to a JPEG, as cameras write it.</summary>
internal static class JpegExif
{
    /// <param name="jpeg">A baseline JPEG starting with SOI (and usually a JFIF APP0 segment).</param>
    /// <param name="orientation">EXIF orientation 1–8 (6: the stored image must be turned 90° clockwise to be upright).</param>
    public static byte[] WithOrientation(byte[] jpeg, ushort orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("not a JPEG");
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,            // big-endian TIFF header, IFD0 at offset 8
            0, 1,                                               // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,                       // tag 0x0112 Orientation, SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0, 0,  // the value, padded to 4 bytes
            0, 0, 0, 0,                                         // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var length = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];

        // After SOI and a JFIF APP0 segment if there is one: where cameras put it.
        var at = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
        return [.. jpeg[..at], .. segment, .. jpeg[at..]];
    }
}
