/** The public API of vlalign. No engine types. */
module org.vlalign.api {
    requires transitive java.desktop;

    exports org.vlalign;
    exports org.vlalign.spi;

    uses org.vlalign.spi.ModelProvider;
}
