"""Query-string filters of list endpoints."""

from rest_framework import serializers


class QueryFilterSerializer(serializers.Serializer):
    """A filter given empty (`?status=`) is refused, not taken as "no filter".

    DRF's form handling reads an empty optional value as absent, so `?status=`
    would list everything: a client that lost its value would never know.
    """

    def to_internal_value(self, data):
        blank = {name: ["must not be empty; leave the parameter out instead"]
                 for name in self.fields if data.get(name, None) == ""}
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)
